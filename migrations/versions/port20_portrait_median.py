"""the teacher portrait's stored department median (issue 20, development/teacher_portrait.py)

Revision ID: port20
Revises: assess20
Create Date: 2026-12-02 21:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'port20'
down_revision = 'assess20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portrait_median',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('department_id', sa.Integer(), nullable=False),
                    sa.Column('stage', sa.String(length=16), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('teachers', sa.Integer(), nullable=False),
                    sa.Column('medians', sa.JSON(), nullable=True),
                    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
                    sa.CheckConstraint("stage IN ('novice', 'competent', 'mature', 'expert')",
                                       name=op.f('ck_portrait_median_stage')),
                    sa.CheckConstraint('teachers >= 0', name=op.f('ck_portrait_median_teachers')),
                    sa.CheckConstraint('teachers >= 5 OR medians IS NULL',
                                       name=op.f('ck_portrait_median_five_or_none')),
                    sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                            name=op.f('fk_portrait_median_department_id_department')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_portrait_median')),
                    sa.UniqueConstraint('department_id', 'stage', 'year',
                                        name=op.f('uq_portrait_median_department_id_stage_year')))


def downgrade():
    op.drop_table('portrait_median')

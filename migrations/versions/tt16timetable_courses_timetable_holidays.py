"""courses and timetables: offerings (merged classes), weekly slots, the holiday calendar, sessions from slots

Revision ID: tt16timetable
Revises: occ16ledger
Create Date: 2026-12-02 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'tt16timetable'
down_revision = 'occ16ledger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_offering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_offering_course_id_course')),
    sa.ForeignKeyConstraint(['teacher_id'], ['user.id'], name=op.f('fk_course_offering_teacher_id_user')),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_course_offering_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_offering'))
    )
    with op.batch_alter_table('course_offering', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_offering_teacher_id'), ['teacher_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_offering_term_id'), ['term_id'], unique=False)
    op.create_table('offering_class',
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['class_group.id'], name=op.f('fk_offering_class_class_id_class_group')),
    sa.ForeignKeyConstraint(['offering_id'], ['course_offering.id'],
                            name=op.f('fk_offering_class_offering_id_course_offering'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offering_id', 'class_id', name=op.f('pk_offering_class'))
    )
    with op.batch_alter_table('offering_class', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_class_class_id'), ['class_id'], unique=False)
    op.create_table('timetable_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('first_period', sa.Integer(), nullable=False),
    sa.Column('last_period', sa.Integer(), nullable=False),
    sa.Column('room', sa.String(length=60), nullable=True),
    sa.Column('weeks', sa.String(length=60), nullable=False),
    sa.Column('week_mask', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['offering_id'], ['course_offering.id'],
                            name=op.f('fk_timetable_slot_offering_id_course_offering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_timetable_slot_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timetable_slot'))
    )
    with op.batch_alter_table('timetable_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timetable_slot_offering_id'), ['offering_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timetable_slot_term_id'), ['term_id'], unique=False)
    op.create_table('term_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('runs_weekday', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_term_day_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_term_day')),
    sa.UniqueConstraint('term_id', 'day', name=op.f('uq_term_day_term_id_day'))
    )
    with op.batch_alter_table('term_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_term_day_term_id'), ['term_id'], unique=False)
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_class_session_slot_id_timetable_slot'), 'timetable_slot',
                                    ['slot_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_class_session_slot_id_class_id_day'),
                                          ['slot_id', 'class_id', 'day'])


def downgrade():
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_class_session_slot_id_class_id_day'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_class_session_slot_id_timetable_slot'), type_='foreignkey')
        batch_op.drop_column('slot_id')
    with op.batch_alter_table('term_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_term_day_term_id'))
    op.drop_table('term_day')
    with op.batch_alter_table('timetable_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timetable_slot_term_id'))
        batch_op.drop_index(batch_op.f('ix_timetable_slot_offering_id'))
    op.drop_table('timetable_slot')
    with op.batch_alter_table('offering_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_class_class_id'))
    op.drop_table('offering_class')
    with op.batch_alter_table('course_offering', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_offering_term_id'))
        batch_op.drop_index(batch_op.f('ix_course_offering_teacher_id'))
    op.drop_table('course_offering')
